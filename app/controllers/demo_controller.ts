import type { HttpContext } from '@adonisjs/core/http'
import ApiException from '#exceptions/api_exception'
import PublicChatService from '#services/public_chat_service'

/**
 * `/demo/:key`: a public page hosting the web widget of one chatbot, to try
 * it as a visitor would. Whatever the public chat API refuses (unknown,
 * deleted or draft chatbot) is a 404 page; a paused chatbot still gets its
 * page, where the widget says it is paused.
 */
export default class DemoController {
  /** The demo page of the chatbot a public key names. */
  async show({ params, view, response }: HttpContext) {
    try {
      const chatbot = await PublicChatService.findChatbot(params.key)
      return view.render('pages/demo/show', { chatbot, publicKey: params.key })
    } catch (error) {
      if (error instanceof ApiException && error.errorCode === 'CHATBOT_PAUSED') {
        return view.render('pages/demo/show', { chatbot: null, publicKey: params.key })
      }
      if (error instanceof ApiException && error.status === 404) {
        return response.status(404).send(await view.render('pages/demo/not_found'))
      }
      throw error
    }
  }
}
